"""One router per resource, each an ``APIRouter(prefix=..., tags=[...])``."""
