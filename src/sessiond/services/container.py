from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sessiond.infra.webhook_sender import WebhookSender
from sessiond.services.attempts import AttemptService
from sessiond.services.audit import AuditService
from sessiond.services.context import Deps
from sessiond.services.delivery import Deliverer, DeliveryPolicy
from sessiond.services.expiry_reports import ExpiryReports
from sessiond.services.guesses import DatabaseGuessCounters, GuessCounters, GuessThrottle
from sessiond.services.kratos.flows import FlowService
from sessiond.services.owners import OwnerService
from sessiond.services.password_change import PasswordChangeService
from sessiond.services.providers import ProviderService
from sessiond.services.pxyz.staged_sign_in import StagedSignIn
from sessiond.services.rocketchat.email_codes import EmailCodes
from sessiond.services.rocketchat.two_factor import Mailer, TwoFactorService
from sessiond.services.sessions import SessionService
from sessiond.services.sign_in import SignInPipeline
from sessiond.services.sign_up import SignUpService
from sessiond.services.signing import TenantSigner
from sessiond.services.stats import StatsService
from sessiond.services.tenants import TenantService
from sessiond.services.token_checks import CacheFeed
from sessiond.services.totp_enrolment import TotpEnrolment
from sessiond.services.users import UserService
from sessiond.services.webhooks import WebhookService


@dataclass(frozen=True, slots=True)
class Services:
    deps: Deps
    tenants: TenantService
    users: UserService
    sign_ins: SignInPipeline
    sign_ups: SignUpService
    sessions: SessionService
    attempts: AttemptService
    providers: ProviderService
    stats: StatsService
    signer: TenantSigner
    owners: OwnerService
    staged: StagedSignIn
    flows: FlowService
    two_factor: TwoFactorService
    totp_enrolment: TotpEnrolment
    password_changes: PasswordChangeService
    feed: CacheFeed
    audit: AuditService
    webhooks: WebhookService
    deliverer: Deliverer

    @classmethod
    def build(
        cls,
        deps: Deps,
        *,
        feed: CacheFeed,
        mailer: Mailer | None = None,
        guess_counters: GuessCounters | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        delivery: DeliveryPolicy | None = None,
        sender: WebhookSender | None = None,
    ) -> Services:
        """`mailer` sends Rocket.Chat's second-factor codes by email; without one there are none.
        `guess_counters` keep the wrong-password counters (Redis); without, the database does.
        `delivery` says how webhooks are delivered, through `sender` (built from its timeout when
        not given); the deliverer runs only once started."""
        delivery = delivery or DeliveryPolicy()
        sender = sender or WebhookSender(timeout=delivery.timeout)
        users = UserService(deps=deps)
        guesses = GuessThrottle(
            deps=deps,
            database=DatabaseGuessCounters(deps=deps),
            redis=guess_counters,
            monotonic=monotonic,
        )
        sign_ins = SignInPipeline(deps=deps, guesses=guesses)
        sign_ups = SignUpService(deps=deps, users=users)
        sessions = SessionService(deps=deps, expiry_reports=ExpiryReports(deps=deps))
        return cls(
            deps=deps,
            tenants=TenantService(deps=deps),
            users=users,
            sign_ins=sign_ins,
            sign_ups=sign_ups,
            sessions=sessions,
            attempts=AttemptService(deps=deps),
            providers=ProviderService(deps=deps),
            stats=StatsService(deps=deps),
            signer=TenantSigner(deps=deps),
            owners=OwnerService(deps=deps),
            staged=StagedSignIn(deps=deps, sign_ins=sign_ins),
            flows=FlowService(deps=deps, sign_ins=sign_ins, sign_ups=sign_ups, sessions=sessions),
            two_factor=TwoFactorService(
                deps=deps,
                sign_ins=sign_ins,
                codes=None if mailer is None else EmailCodes(deps=deps, mailer=mailer),
            ),
            totp_enrolment=TotpEnrolment(deps=deps),
            password_changes=PasswordChangeService(deps=deps, sign_ins=sign_ins, users=users),
            feed=feed,
            audit=AuditService(deps=deps),
            webhooks=WebhookService(deps=deps, retry_for=delivery.retry.give_up_after),
            deliverer=Deliverer(deps=deps, sender=sender, policy=delivery),
        )

    async def close(self) -> None:
        await self.deliverer.stop()
        await self.feed.stop()
        await self.sign_ins.guesses.close()
        await self.deps.store.close()
        self.deps.metrics.close()
