"""The GP's safety-net screens: opening one from the patient's overview, the episode page
with its actions in dialogs, and the practice's list of open safety nets.

Each view first checks that the user is a GP (403 otherwise, before anything is read),
then reads through a selector (404 for an episode of another practice) and acts through a
service, whose refusal is shown on the page with nothing changed.
"""
