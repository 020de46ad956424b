# The English interface is used in Danish clinics next to Danish records: a date such as
# 05/01/2026 would read as 5 January there and as May 1 to a US reader, so English pages
# show dates day-first with the month in letters.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1
