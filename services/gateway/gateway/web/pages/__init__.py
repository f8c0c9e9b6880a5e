"""One module per flow; each has ``add_routes(app, ctx, frame)``."""
