-- A session a manager ended (revoked, the person deactivated, their
-- password reset) or that expired may still deliver what its device wrote
-- before it ended, once, within `LAST_DELIVERY_DAYS` of the end; then the
-- device clears itself. `delivered_at`: when that last delivery finished
-- (the session accepts nothing from then on). A session ended as lost or
-- stolen (`revoked_reason = 'lost'`) or signed out by its own device
-- (`'logout'`) has no last delivery.
ALTER TABLE sessions ADD COLUMN delivered_at BIGINT;
