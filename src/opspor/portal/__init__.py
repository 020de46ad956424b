"""The patient's own pages: their record, their contacts, and what happens next with each of
their referrals. Above records and referrals, which it reads."""
