"""Off-topic questions asked after an on-topic one (the widget's case): how many are
flagged low relevance, and how many borrow the history, with the unknown-word rule off/on."""
import functools, json, sys
from dataclasses import replace
from pathlib import Path
import ragqa.engine as E
from ragqa import wiring
from ragqa.settings import load_settings
from ragqa.eval.conversations import load_conversations
from ragqa.index.search import conversation as conv
from ragqa.index.search.followup import FOLLOWUP, Turn
split = sys.argv[1]
eng = wiring.start(load_settings()).engine
texts = {d: r.text for d, r in eng.retriever.index.documents_by_id().items()}
convs = load_conversations(Path('eval/conversations.jsonl'), texts, 'project', split)
firsts = [c.turns[0].question for c in convs][:10]
off = [json.loads(l) for l in open('eval/offtopic.jsonl')]
off = [o['question'] for o in off if o['split'] == split and o.get('lang', 'fr') == 'fr']
alone = sum(eng.search(q, 5).result.low_relevance for q in off)
print(f"{len(off)} off-topic questions ({split}), flagged asked alone: {alone}", flush=True)
for unk in (False, True):
    E.plan_followup = functools.partial(conv.plan_followup,
                                        params=replace(FOLLOWUP, unknown_stands_alone=unk))
    flagged = used = n = 0
    for q in off:
        for prev in firsts:
            found = eng.search(q, 5, history=[Turn(prev)])
            n += 1; used += found.history_used; flagged += found.result.low_relevance
    print(f"unknown={unk}: after {len(firsts)} on-topic first questions each: history used "
          f"{used}/{n}, flagged {flagged}/{n}", flush=True)
