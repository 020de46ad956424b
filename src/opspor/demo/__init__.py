"""The demo, at the top of the stack: the seeded synthetic region, the study's story
patients, a demo user for every role, the demo cases of every app, and `opspor seed`.

Nothing below imports from here: the clinical apps know nothing of the demo."""
