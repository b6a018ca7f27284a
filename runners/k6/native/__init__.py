"""k6's JSON stream read in C: the source (lwscan.c), its build and its ctypes binding."""
