"""Keywords for the asset record: the most frequent content words of a transcript."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[^\w']+")

# English function words and fillers; other languages get frequency alone.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
    each even ever every few for from further get gets getting go goes going gone got had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've
    if in into is isn't it it's its itself just know let let's like made make many may me might more most much
    must mustn't my myself no nor not now of off oh ok okay on once one only or other ought our ours ourselves out
    over own really right said same say says see shan't she she'd she'll she's should shouldn't so some still
    such take than that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've thing things think this those though through to too two under until up upon us very want was
    wasn't way we we'd we'll we're we've well went were weren't what what's when when's where where's which while
    who who's whom why why's will with won't would wouldn't yeah yes yet you you'd you'll you're you've your yours
    yourself yourselves uh um hmm mm""".split()
)


def normalise_words(text: str) -> list[str]:
    """Lower-case words with punctuation removed ("Hello, world!" -> ["hello", "world"]); hyphens split words."""
    return [w.strip("'") for w in _NOT_WORD.split(text.lower().replace("_", " ")) if w.strip("'")]


def top_keywords(texts: Iterable[str], limit: int = 10) -> list[str]:
    """The `limit` most frequent words of three letters or more that are not stopwords or numbers;
    ties keep the order of first appearance."""
    counts: Counter[str] = Counter()
    for text in texts:
        for word in normalise_words(text):
            if len(word) >= 3 and word not in STOPWORDS and not word.isdigit():
                counts[word] += 1
    return [w for w, _ in counts.most_common(limit)]
