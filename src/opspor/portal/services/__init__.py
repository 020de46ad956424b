"""The portal's business actions: the patient's preparation (`preparation`) and the GP's
review of it (`review`)."""
