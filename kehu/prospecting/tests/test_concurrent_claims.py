"""Two (or eight) reps claiming the same prospect from the shared pool at the same moment: exactly
one wins. And one rep claiming many at once never passes the policy's cap. Proven on PostgreSQL over
real connections (one per thread), all released by one barrier."""


import pytest
from django.db import connection

from kehu.accounts.models import Role
from kehu.customers.models import Customer, SourceMethod
from kehu.prospecting import services
from kehu.prospecting.models import ProspectPolicy, SharedPoolEntry
from kehu.testing import UserFactory, build_org, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def org():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set DATABASE_URL)")
    return build_org()


def _give_up(org, n):
    for i in range(n):
        prospect = services.prospect_file(user=org.alice, method=SourceMethod.INBOUND, company={"name": f"公海潜客{i}号有限公司"})
        services.decision_set(user=org.alice, customer=prospect, decision="give_up", reason="放弃")
    return list(SharedPoolEntry.objects.order_by("id"))


def test_simultaneous_claims_of_one_prospect_have_exactly_one_winner(org):
    entry = _give_up(org, 1)[0]
    reps = [org.bob] + [UserFactory(username=f"rep{i}", role=Role.REP, team=org.team_east) for i in range(7)]
    for _round in range(3):
        racers = [rep for rep in reps if rep.pk != entry.previous_owner_id]
        wins, losses = race([lambda rep=rep, entry=entry: services.pool_claim(user=rep, entry=entry) for rep in racers])
        assert len(wins) == 1 and len(losses) == len(racers) - 1
        entry.refresh_from_db()
        winner = wins[0].entry.claimed_by
        assert entry.claimed_by == winner
        assert Customer.objects.get(pk=entry.customer_id).owner == winner
        assert SharedPoolEntry.objects.filter(claimed_by__isnull=False).count() == _round + 1
        # Put it back for the next round: the winner gives it up again.
        services.decision_set(user=winner, customer=entry.customer, decision="give_up", reason="再放弃")
        entry = SharedPoolEntry.objects.get(customer=entry.customer, claimed_by__isnull=True)


def test_one_rep_claiming_many_at_once_stops_at_the_cap(org):
    ProspectPolicy.objects.create(pk=1, claim_cap=3, claim_window_days=30)
    entries = _give_up(org, 8)
    wins, losses = race([lambda e=e: services.pool_claim(user=org.bob, entry=e) for e in entries])
    assert len(wins) == 3 and len(losses) == 5
    assert SharedPoolEntry.objects.filter(claimed_by=org.bob).count() == 3
