"""Services: the business rules of labeling work (accounts, projects, items, the
task queue, annotations, exports). Each function takes a SQLAlchemy session and
never commits: the caller owns the unit of work."""
