"""The quality unit's dashboard and each practice's mirror (design §1 rows 4 and 7, §2)."""
