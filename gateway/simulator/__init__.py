"""A sandbox clearinghouse: answers the gateway's 837P files with TA1, 999, 277CA and 835
files from configurable rules, and records every claim it ever received."""

from gateway.simulator.clearinghouse import Sandbox, StepReport
from gateway.simulator.inbound import Identity
from gateway.simulator.ledger import Ledger
from gateway.simulator.rules import SandboxRules, load_rules

__all__ = ["Identity", "Ledger", "Sandbox", "SandboxRules", "StepReport", "load_rules"]
