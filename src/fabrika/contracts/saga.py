"""What the order saga records: its input, the messages it waits for, the emails it asks
for, and each step's outcome. DBOS keeps these as they are (plain dicts, lists and
strings), and the operators' timeline reads the outcomes, so their keys never change
meaning: a saga recorded by an earlier release replays against the same shapes."""

from typing import Literal, NotRequired

from pydantic import JsonValue
from typing_extensions import TypedDict

from fabrika.contracts.production import AcceptanceResult
from fabrika.contracts.quotes import QuoteDocument, QuoteJobView

JsonObject = dict[str, JsonValue]
"""A JSON object as DBOS records it: the saga's input is a Submission dumped to JSON."""

Decider = Literal["customer", "operator"]


class Decision(TypedDict):
    """A customer's or an operator's message to a waiting saga."""

    decision: Literal["confirm", "cancel"]
    by: NotRequired[str]


class EmailParams(TypedDict, total=False):
    """What a status email's template may use."""

    name: str
    order_ref: str
    status_url: str
    price: str
    currency: str
    ready_by: str | None
    lines: list[str]
    deadline: str
    reason: str
    reason_code: str | None
    charged_nothing: bool


class EmailJson(TypedDict):
    """A status email the saga asks notify for (keyed by order and event when sent)."""

    to: str
    language: Literal["ru", "en"]
    event: str
    params: EmailParams


class TransitionJson(TypedDict):
    """A status change to record in the CRM, as the saga carries it between steps."""

    status: str
    quote: NotRequired[QuoteDocument]
    price: NotRequired[float]
    currency: NotRequired[str]


class PriceJson(TypedDict):
    price: float
    currency: str


class Attempted(TypedDict):
    """Every step outcome says how many attempts its step took (1 without retries)."""

    attempts: NotRequired[int]


class Refusal(Attempted):
    """A step refused by the service it called (a 4xx), or past the order's deadline: the
    saga compensates with this reason instead of retrying."""

    ok: Literal[False]
    code: str
    detail: str


class RegistryAnswer(Attempted):
    """Where the CRM says the order stands after a write, and whether its customer or an
    operator asked to cancel it meanwhile."""

    ok: Literal[True]
    status: str
    cancel_requested_by: str | None


class Acceptance(Attempted):
    """MES accepting the order into production. `recorded`: RESERVED and ACCEPTED are in
    the CRM (if not, the saga records them durably). Without `job`, a cancellation asked
    for before MES was asked stopped it (`cancel_requested_by`)."""

    ok: Literal[True]
    recorded: bool
    job: NotRequired[AcceptanceResult]
    status: NotRequired[str]
    cancel_requested_by: NotRequired[str | None]


class Opened(RegistryAnswer):
    """The first step: the order registered, with MES's quote job (finished when MES priced
    it at once; None when MES could not be asked). `quoted`: the quote was recorded with the
    registration; `accepted`: a B2B order within its limit went on into production."""

    quote: QuoteJobView | None
    quoted_at: str
    quoted: bool
    accepted: bool
    confirm_by: NotRequired[str]
    job: NotRequired[AcceptanceResult]
    recorded: NotRequired[bool]


class QuoteJobOutcome(QuoteJobView, Attempted):
    """A quote job's state as a saga step read it."""

    ok: Literal[True]


class Ended(TypedDict):
    ok: Literal[True]
