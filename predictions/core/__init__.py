"""The pure core: rules and maths on plain values, with no Flask or SQLAlchemy import."""
