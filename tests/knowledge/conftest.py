from tests.ticketing.conftest import (  # noqa: F401  (fixtures)
    Desk,
    desk,
    fresh_database,
    schema_template,
)
