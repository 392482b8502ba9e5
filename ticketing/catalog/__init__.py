"""Teams and the category tree that tickets are classified by."""
