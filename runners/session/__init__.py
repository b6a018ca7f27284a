"""Runs that outlive their terminal: the engine host, its Unix socket, and the viewers that attach to it."""
