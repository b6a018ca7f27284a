"""The bundled demo target: an HTTP service with a saturating pool and its /metrics, and its process."""
