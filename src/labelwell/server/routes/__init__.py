"""API routes under /api/v1. Handlers are thin: load, authorize (in the service),
call one service function, return a schema."""
