from tests.factories import case_in_state, raise_concern
from workflow import services
from workflow.events import case_log_verify


def test_a_raised_concern_can_be_driven_to_closed(org, guardian):
    raised = raise_concern(org)
    case = case_in_state(raised.case, "closed", guardian=guardian)
    assert case.status == "closed"
    assert case_log_verify(case=case) is None
    assert raised.receipt_code and len(raised.receipt_code.replace("-", "")) == 20
    assert services.case_available_transitions(case=case, actor=guardian) == ["reopen"]
