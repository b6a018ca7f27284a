"""Configuration: the TOML file, validated into typed settings for every part of a run."""
