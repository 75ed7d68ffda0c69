"""Model backends behind one Protocol (models.base.Model)."""
