"""Every input limit of the request boundary, in one place (OWASP API4).

A request beyond any of these is answered 422 before any work is done: nothing runs,
nothing is stored. The maxima sit far above anything a real portfolio sends (the
conformance cases use identifiers of at most 29 characters and decimals of at most 7
significant digits) and low enough that validation, hashing and the engine stay bounded.
The body size itself is capped by Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413).
"""

from __future__ import annotations

# Collections.
MAX_POSITIONS = 10_000
MAX_LOTS_PER_POSITION = 1_000
MAX_CASH_BALANCES = 1_000
MAX_PRICES = 20_000
MAX_FX_RATES = 2_000
MAX_MODEL_TARGETS = 10_000
MAX_SHELF_ENTRIES = 20_000
MAX_ATTRIBUTES_PER_SHELF_ENTRY = 100
MAX_GROUP_CONSTRAINTS = 200
MAX_OVERDRAFT_CURRENCIES = 200
# Analyze: counted before any scenario is looked at, so 10,000 scenarios cost nothing.
MAX_SCENARIOS = 20

# Identifiers: instrument, lot, currency, FX pair, snapshot, issuer ids, asset classes,
# attribute keys and values, map keys. They end up in logs, stored results and indexes.
MAX_IDENTIFIER_LENGTH = 128
# A group-constraint key is `<attribute key>:<attribute value>`.
MAX_GROUP_KEY_LENGTH = 2 * MAX_IDENTIFIER_LENGTH + 1
# portfolio_id is stored in a column of this width (dpm_runs.models.PORTFOLIO_ID_MAX_LENGTH).
MAX_PORTFOLIO_ID_LENGTH = 256
# Free text that is validated but never used (scenario descriptions).
MAX_DESCRIPTION_LENGTH = 1_000

# Decimals: at most this many significant digits, and a magnitude between 1E-100 and
# ~1E+101 (adjusted exponent within the bounds). Far inside the engine's decimal context,
# so no arithmetic on inputs can overflow, underflow or grow without bound.
MAX_DECIMAL_DIGITS = 50
DECIMAL_MIN_ADJUSTED_EXPONENT = -100
DECIMAL_MAX_ADJUSTED_EXPONENT = 100

# Separators (commas) in one body, counted in the raw bytes before it is parsed: about the
# number of values it holds. A body at every collection maximum with realistic content
# has far fewer (5,000 instruments with lots and attributes: about 100,000); without
# this cap a 20 MB body of two million invalid values makes pydantic hold two million
# errors (about 2.5 GB) before any of them can be reported.
MAX_BODY_SEPARATORS = 500_000

# 422 answers: an echoed ``input`` whose JSON text is longer than this is cut, and at
# most this many issues are listed, so a 20 MB body cannot produce a larger error body.
MAX_ECHOED_INPUT_CHARS = 2_000
MAX_REPORTED_ISSUES = 100
