"""Settings, the error tree and logging: the parts every other package may use."""
