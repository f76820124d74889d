"""The schema. Every row carries `tenant_id`, so the store shards by tenant when it has to."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from sessiond.store.dialect import JsonType, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[object]:
    return Column("id", Uuid(), primary_key=True)


def _tenant() -> Column[object]:
    return Column("tenant_id", Uuid(), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def _stamps() -> tuple[Column[object], Column[object]]:
    return (
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    )


server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

tenants = Table(
    "tenants",
    metadata,
    _id(),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("public_key", String(64), nullable=False, unique=True),
    Column("max_lifetime_s", Integer, nullable=False),
    Column("inactivity_timeout_s", Integer, nullable=True),
    Column("earliest_extend_s", Integer, nullable=True),
    Column("max_live_sessions", Integer, nullable=True),
    Column("limit_policy", String(16), nullable=False),
    Column("ended_retention_s", Integer, nullable=False),
    *_stamps(),
    Column("environment", String(16), nullable=False, server_default="production"),
    # revision 0009: budgets for wrong passwords (domain/guesses.py)
    Column("guess_window_s", Integer, nullable=False, server_default="900"),
    Column("account_failures", Integer, nullable=False, server_default="10"),
    Column("ip_failures", Integer, nullable=False, server_default="100"),
    Column("guess_first_delay_s", Integer, nullable=False, server_default="30"),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    Column("tenant_id", Uuid(), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Index("ix_api_keys_tenant", "tenant_id"),
)

users = Table(
    "users",
    metadata,
    _id(),
    _tenant(),
    Column("username", String(128), nullable=True),
    Column("username_lower", String(128), nullable=True),
    Column("name", String(200), nullable=False),
    Column("state", String(16), nullable=False),
    Column("roles", JsonType, nullable=False),
    Column("traits", JsonType, nullable=False),
    Column("metadata_public", JsonType, nullable=True),
    Column("metadata_admin", JsonType, nullable=True),
    Column("password_hash", String(256), nullable=True),
    Column("totp_secret", String(64), nullable=True),
    Column("totp_enabled", Boolean, nullable=False),
    Column("totp_last_step", Integer, nullable=True),
    *_stamps(),
    UniqueConstraint("tenant_id", "username_lower"),
    Index("ix_users_tenant_created", "tenant_id", "created_at", "id"),
)

user_emails = Table(
    "user_emails",
    metadata,
    _id(),
    _tenant(),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(320), nullable=False),
    Column("address_lower", String(320), nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("tenant_id", "address_lower"),
    Index("ix_user_emails_user", "user_id"),
)

backup_codes = Table(
    "backup_codes",
    metadata,
    _id(),
    _tenant(),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    UniqueConstraint("user_id", "digest"),
)

oauth_providers = Table(
    "oauth_providers",
    metadata,
    _id(),
    _tenant(),
    Column("provider_key", String(32), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("use_custom_credentials", Boolean, nullable=False),
    Column("client_id", String(512), nullable=True),
    Column("client_secret", Text, nullable=True),
    Column("redirect_uri", String(2048), nullable=True),
    Column("additional_scopes", JsonType, nullable=False),
    Column("authenticatable", Boolean, nullable=False),
    Column("auto_connect_accounts", Boolean, nullable=False),
    Column("config", JsonType, nullable=False),
    *_stamps(),
    Index("ix_oauth_providers_tenant", "tenant_id"),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    _id(),
    _tenant(),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("identifier", String(320), nullable=False),
    Column("strategy", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("failure_reason", String(64), nullable=True),
    Column("factor_tries", Integer, nullable=False, server_default="0"),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Column(
        "oauth_provider_id",
        Uuid(),
        ForeignKey("oauth_providers.id", ondelete="SET NULL"),
        nullable=True,
    ),
    *_stamps(),
    # revision 0003: an open login flow asks for an assurance level, and a step-up names its session
    # (no foreign key: sessions already point at attempts, and a gone session just fails the flow).
    Column("requested_aal", String(8), nullable=True),
    Column("step_up_session_id", Uuid(), nullable=True),
    Index("ix_sign_in_attempts_tenant_created", "tenant_id", "created_at", "id"),
    # revision 0011: a user's attempts, for the administrators' console
    Index("ix_sign_in_attempts_user_created", "user_id", "created_at", "id"),
)

sign_up_attempts = Table(
    "sign_up_attempts",
    metadata,
    _id(),
    _tenant(),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("strategy", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    *_stamps(),
    Index("ix_sign_up_attempts_tenant_created", "tenant_id", "created_at", "id"),
)

devices = Table(
    "devices",
    metadata,
    _id(),
    _tenant(),
    Column("user_agent", String(512), nullable=False),
    Column("browser_name", String(128), nullable=True),
    Column("browser_version", String(64), nullable=True),
    Column("engine_name", String(64), nullable=True),
    Column("engine_version", String(64), nullable=True),
    Column("os_name", String(128), nullable=True),
    Column("os_version", String(64), nullable=True),
    Column("device_type", String(32), nullable=True),
    Column("device_vendor", String(128), nullable=True),
    Column("device_model", String(128), nullable=True),
    Column("cpu_arch", String(32), nullable=True),
    Column("app_kind", String(32), nullable=True),
    Column("app_name", String(64), nullable=True),
    Column("app_version", String(64), nullable=True),
    Column("app_build", String(64), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("location", String(256), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # revision 0011: the console's filters by address and by country (its places, then devices)
    Index("ix_devices_tenant_ip", "tenant_id", "ip"),
    Index("ix_devices_tenant_location", "tenant_id", "location", "id"),
)

sessions = Table(
    "sessions",
    metadata,
    _id(),
    _tenant(),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("device_id", Uuid(), ForeignKey("devices.id", ondelete="SET NULL"), nullable=True),
    Column("authenticated_at", UTCDateTime(), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("last_active_at", UTCDateTime(), nullable=False),
    Column("aal", String(8), nullable=False),
    Column("methods", JsonType, nullable=False),
    Column("host", String(256), nullable=True),
    Column(
        "sign_in_attempt_id",
        Uuid(),
        ForeignKey("sign_in_attempts.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column(
        "sign_up_attempt_id",
        Uuid(),
        ForeignKey("sign_up_attempts.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("end_reason", String(32), nullable=True),
    Column("ended_by", String(128), nullable=True),
    *_stamps(),
    # revision 0008: the profile of the session's device (`device_profiles`), null without a
    # device. No foreign key: profiles go only with their tenant, whose sessions go too, and a
    # key would have that deletion look up sessions by profile, which no index leads with.
    Column("device_profile_id", Uuid(), nullable=True),
    Index("ix_sessions_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_sessions_user_created", "user_id", "created_at", "id"),
    Index("ix_sessions_tenant_ended", "tenant_id", "ended_at"),
    Index("ix_sessions_tenant_expires", "tenant_id", "expires_at"),
    # revision 0007: the filter finds sessions by their device, and deleting a device checks it
    Index("ix_sessions_device", "device_id"),
    # revision 0011: the console's sort by last activity, a keyset walk like creation order's
    Index("ix_sessions_tenant_last_active", "tenant_id", "last_active_at", "created_at", "id"),
)

# Revision 0007: indexes for lists at scale (docs/architecture.md, "Listing and pagination").

# Counting a tenant's live sessions reads this index only: ended rows are not in it, and the
# expiry and the user (whose state decides liveness) are in each entry.
Index(
    "ix_sessions_tenant_live",
    sessions.c.tenant_id,
    sessions.c.expires_at,
    sessions.c.user_id,
    postgresql_where=sessions.c.ended_at.is_(None),
    sqlite_where=sessions.c.ended_at.is_(None),
)

# Revision 0008: the device parts that text filters read, once per distinct combination in a
# tenant (a few dozen, where sessions are millions). A filter is matched against these, and the
# sessions of the matching profiles are counted from `ix_sessions_device_profile` alone, which
# also holds what liveness reads of a session. `digest` is the SHA-256 of the parts as a JSON
# array (`store/repositories/device_profiles.py`), unique per tenant: NULL is a value here, which
# a unique constraint on the columns themselves would not treat so.
device_profiles = Table(
    "device_profiles",
    metadata,
    _id(),
    _tenant(),
    Column("digest", String(64), nullable=False),
    Column("browser_name", String(128), nullable=True),
    Column("app_name", String(64), nullable=True),
    Column("device_type", String(32), nullable=True),
    Column("app_kind", String(32), nullable=True),
    Column("os_name", String(128), nullable=True),
    UniqueConstraint("tenant_id", "digest"),
)
Index(
    "ix_sessions_device_profile",
    sessions.c.tenant_id,
    sessions.c.device_profile_id,
    sessions.c.expires_at,
    sessions.c.user_id,
    sessions.c.ended_at,
)

# Text filters are regular expressions; on PostgreSQL, pg_trgm's GIN index serves `~` on the
# filtered user columns. SQLite's `regexp()` is a plain function no index can serve, so there it
# is an empty partial index (`WHERE 0`): same name, same columns, one schema for both.
_TRIGRAM = "gin_trgm_ops"
_NEVER = text("0")
Index(
    "ix_users_filter",
    users.c.username,
    users.c.name,
    postgresql_using="gin",
    postgresql_ops={"username": _TRIGRAM, "name": _TRIGRAM},
    sqlite_where=_NEVER,
)

# Rocket.Chat's REST two-factor (revision 0002).

two_factor_trust = Table(
    "two_factor_trust",
    metadata,
    Column(
        "session_id",
        Uuid(),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _tenant(),
    Column("fingerprint", String(64), nullable=False),
    Column("trusted_until", UTCDateTime(), nullable=False),
)

email_two_factor = Table(
    "email_two_factor",
    metadata,
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _tenant(),
    Column("enabled_at", UTCDateTime(), nullable=False),
    Column("last_mailed_at", UTCDateTime(), nullable=True),
)

factor_tries = Table(
    "factor_tries",
    metadata,
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _tenant(),
    Column("tries", Integer, nullable=False),
    Column("window_started_at", UTCDateTime(), nullable=False),
    Column("locked_until", UTCDateTime(), nullable=True),
)

email_codes = Table(
    "email_codes",
    metadata,
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _tenant(),
    Column("code_id", Uuid(), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Token-check cache invalidations (revision 0006): written in the transaction of the change they
# report, read by every process to drop what it cached. No foreign key: the row that says "tenant T
# is gone" must outlive tenant T. SQLite's AUTOINCREMENT keeps `seq` from ever going back after the
# newest rows are pruned.
cache_invalidations = Table(
    "cache_invalidations",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_id", Uuid(), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", Uuid(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    sqlite_autoincrement=True,
)

# Hits on the wrong-password counters when Redis does not hold them (revision 0009): one row per
# password check under way or failed, within the tenant's window; `key` is a digest.
guess_hits = Table(
    "guess_hits",
    metadata,
    _id(),
    _tenant(),
    Column("scope", String(8), nullable=False),
    Column("key", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_guess_hits_counter", "tenant_id", "scope", "key", "at"),
)

# Administrative actions (revision 0010, domain/audit.py). No foreign key to tenants: the record
# that a tenant was deleted must outlive the tenant.
audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_kind", String(8), nullable=False),
    Column("actor_id", String(128), nullable=False),
    Column("ip", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("tenant_id", Uuid(), nullable=True),
    Column("target", String(128), nullable=True),
    Index("ix_audit_log_at", "at", "id"),
    Index("ix_audit_log_tenant_at", "tenant_id", "at", "id"),
)

# The outbox (revision 0012, domain/events.py): written in the transaction of the change each
# event reports; `dispatched_at` is set once the deliverer has made its deliveries.
events = Table(
    "events",
    metadata,
    _id(),
    _tenant(),
    Column("type", String(32), nullable=False),
    Column("payload", JsonType, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("dispatched_at", UTCDateTime(), nullable=True),
    Index("ix_events_dispatched_at", "dispatched_at", "occurred_at"),
    Index("ix_events_tenant_occurred_at", "tenant_id", "occurred_at"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    _id(),
    _tenant(),
    Column("url", String(2048), nullable=False),
    Column("event_types", JsonType, nullable=False),
    Column("secret", String(128), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_webhook_endpoints_tenant_id", "tenant_id", "created_at"),
)

# One event for one endpoint (domain/webhooks.py). A claimed delivery's `next_attempt_at` is
# pushed a lease ahead, so one that a dead node was sending is tried again when the lease ends.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    _id(),
    _tenant(),
    Column("event_id", Uuid(), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column(
        "endpoint_id",
        Uuid(),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("give_up_at", UTCDateTime(), nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(512), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("event_id", "endpoint_id"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_tenant_created_at", "tenant_id", "created_at"),
    Index("ix_webhook_deliveries_endpoint_id", "endpoint_id"),
)
