"""The referral and advice screens of the GP and of the diagnostic unit, by what they show.

Each view first checks that the page is meant for the user's role (403 otherwise, before
anything is read), then reads through a selector (404 for a case outside the user's
practice or unit) and acts through a service. Forms that create something carry a
per-form key, which the services use to make a second submission of the same form return
the first result.
"""
