"""Every write on high-availability groups: configuration (groups.py), check rounds
(rounds.py), the decision and its DNS change (answers.py), and alerts (alerts.py).

DNS changes go through domains.services, like every other write to a zone.
"""

from failover.services.answers import group_decide
from failover.services.groups import (
    MemberSpec,
    check_spec,
    group_create,
    group_delete,
    group_update,
    member_add,
    member_delete,
    member_set_switch,
    parse_codes,
    parse_member,
)
from failover.services.rounds import location_check_round

__all__ = [
    "MemberSpec",
    "check_spec",
    "group_create",
    "group_decide",
    "group_delete",
    "group_update",
    "location_check_round",
    "member_add",
    "member_delete",
    "member_set_switch",
    "parse_codes",
    "parse_member",
]
