from collab.models import Event
from collab.services.cards import card_move
from tests.factories import make_card


def test_smoke(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        a = make_card(team.member, team.todo, "A")
        b = make_card(team.member, team.todo, "B")
        card_move(actor=team.member, card_id=a.pk, column_id=team.todo.pk, after=b.pk)
    assert len(callbacks) == 3
    print(list(Event.objects.values_list("seq", "event")))
