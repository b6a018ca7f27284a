"""The run's shared data model: frames, rule definitions and breach events; imports nothing else of loadwatch's runners."""
