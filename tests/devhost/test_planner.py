"""plan_episode, the pure step of an episode: events delivered and the orchestrator's answer in, an
EpisodePlan out; the instance it reads is left as it was."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from devhost.durable.planner import Catalog, plan_episode
from devhost.durable.protocol import (
    CONTINUE_AS_NEW,
    EXECUTION_COMPLETED,
    EXECUTION_STARTED,
    ORCHESTRATOR_COMPLETED,
    ORCHESTRATOR_STARTED,
    SUB_CREATED,
    SUB_FAILED,
    TASK_FAILED,
    TASK_SCHEDULED,
    TIMER_CREATED,
    TIMER_FIRED,
    event,
    execution_started,
    iso,
)
from devhost.durable.state import InboxItem, Instance, new_book

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CATALOG = Catalog(activities={"a"}, orchestrators={"child"}, is_running=lambda iid: iid == "busy-child",
                  default_version="1.0")


def instance(**kw) -> Instance:
    fields = {"id": "i1", "name": "o", "execution_id": "e1", "status": "Running", "input": None, "parent": None,
              "book": new_book(), "version": "2.0"}
    fields.update(kw)
    return Instance(**fields)


def plan(inst, batch, state, error=None, catalog=CATALOG):
    new_events = [event(ORCHESTRATOR_STARTED, T0)] + [dict(it.event) for it in batch]
    return plan_episode(inst, batch, [], new_events, T0, state, error, catalog)


def test_new_actions_take_ids_in_flattened_order_and_the_instance_is_untouched():
    inst = instance(status="Pending")
    start = InboxItem(7, None, execution_started(T0, "o", "2.0", None, "i1", "e1"), 0.0)
    fire_at = iso(T0 + timedelta(seconds=5))
    state = {"isDone": False, "actions": [{"actionType": 12, "compoundActions": [
        {"actionType": 0, "functionName": "a", "input": "1"},
        {"actionType": 5, "fireAt": fire_at, "isCanceled": False},
        {"actionType": 6, "externalEventName": "go"}]}]}
    before = copy.deepcopy(inst)
    p = plan(inst, [start], state)
    assert inst == before  # pure: nothing of the instance changed
    assert [e["EventType"] for e in p.events] == [ORCHESTRATOR_STARTED, EXECUTION_STARTED, TASK_SCHEDULED,
                                                  TIMER_CREATED, ORCHESTRATOR_COMPLETED]
    assert [e["EventId"] for e in p.events[2:4]] == [0, 1]
    assert p.work == [{"task_id": 0, "name": "a", "input": "1"}]
    assert [(ev["EventType"], ev["TimerId"], at) for ev, at in p.inbox] == [
        (TIMER_FIRED, 1, (T0 + timedelta(seconds=5)).timestamp())]
    assert p.book["next_seq"] == 2 and p.book["known"] == 3 and set(p.book["tasks"]) == {"0", "1"}
    assert p.consumed == [7] and p.status == "Running" and p.done_status is None and p.productive


def test_missing_functions_and_a_running_child_id_fail_their_task():
    state = {"isDone": False, "actions": [
        {"actionType": 0, "functionName": "nope", "input": None},
        {"actionType": 2, "functionName": "ghost", "input": None, "instanceId": None},
        {"actionType": 2, "functionName": "child", "input": None, "instanceId": "busy-child"},
        {"actionType": 2, "functionName": "child", "input": "3", "instanceId": None, "version": None},
        {"actionType": 2, "functionName": "child", "input": "4", "instanceId": "c9", "version": "9.9"}]}
    p = plan(instance(history_len=3), [], state)
    assert p.work == []
    reasons = [(ev["EventType"], ev["TaskScheduledId"], ev["Reason"]) for ev, _ in p.inbox]
    assert reasons == [(TASK_FAILED, 0, "The activity function 'nope' doesn't exist."),
                       (SUB_FAILED, 1, "The orchestrator function 'ghost' doesn't exist."),
                       (SUB_FAILED, 2, "An orchestration with instance ID 'busy-child' already exists.")]
    assert [(c.instance_id, c.input, c.version, c.parent["task_id"]) for c in p.children] == [
        ("i1:3", "3", "1.0", 3), ("c9", "4", "9.9", 4)]
    assert [e["EventType"] for e in p.events].count(SUB_CREATED) == 4


def test_a_retried_failure_schedules_the_back_off_timer_then_the_next_attempt():
    retry = {"firstRetryIntervalInMilliseconds": 500, "maxNumberOfAttempts": 2}
    book = {"next_seq": 1, "known": 1, "tasks": {"0": {"k": "a", "name": "a", "input": "1", "retry": retry,
                                                       "attempt": 1}}}
    inst = instance(book=book, history_len=5)
    failed = InboxItem(3, "e1", event(TASK_FAILED, T0, TaskScheduledId=0, Reason="r", Details="d"), 0.0)
    p = plan(inst, [failed], {"isDone": False, "actions": [{"actionType": 1, "functionName": "a"}]})
    (timer, visible_at), = p.inbox
    assert timer["EventType"] == TIMER_FIRED and timer["TimerId"] == 1 and visible_at == T0.timestamp() + 0.5
    assert p.book["tasks"]["1"]["k"] == "rt" and p.work == []
    fired = InboxItem(4, "e1", timer, 0.0)
    p2 = plan(instance(book=p.book, history_len=9), [fired], {"isDone": False, "actions": [
        {"actionType": 1, "functionName": "a"}]})
    assert p2.work == [{"task_id": 2, "name": "a", "input": "1"}]
    assert p2.book["tasks"]["2"]["attempt"] == 2


def test_done_continue_as_new_and_failure():
    done = plan(instance(history_len=4), [], {"isDone": True, "actions": [], "output": {"x": 1}})
    assert done.status == done.done_status == "Completed" and done.output == '{"x":1}'
    assert done.events[-1]["EventType"] == EXECUTION_COMPLETED and done.events[-1]["Result"] == '{"x":1}'
    again = plan(instance(history_len=4), [], {"isDone": True, "actions": [
        {"actionType": 4, "input": '{"n":2}'}]})
    assert again.done_status == "ContinuedAsNew" and again.status == "Running" and again.new_execution
    assert again.events[-1]["EventType"] == CONTINUE_AS_NEW
    assert again.next_start["Version"] == "2.0" and again.next_start["Input"] == '{"n":2}'
    assert again.next_start["OrchestrationInstance"] == {"InstanceId": "i1", "ExecutionId": again.new_execution}
    failed = plan(instance(history_len=4), [], None, "ValueError: boom")
    assert failed.status == "Failed" and failed.output == '"Orchestrator function \'o\' failed: ValueError: boom"'
    entity = plan(instance(history_len=4), [], {"isDone": False, "actions": [{"actionType": 7}]})
    assert entity.status == "Failed" and "durable entities" in entity.output
