"""Y' for text generation (Text2Template): a synopsis's content template, by a fixed rule on Y.

    "Python library for parsing configuration files"
    -> "python/JJ library/NN parse/VBG configuration/NN file/NNS"           (content)
    -> "/JJ /NN for /VBG /NN /NNS"                                        (skeleton)
    -> "Python library parsing configuration files"                        (words)
    -> "python library for parse configuration file"                       (lemmas)
    -> "Python library for parse configuration file"                       (lemmas_cased)

The rule reads the synopsis and nothing else (never X): a line in title case ("Real-Time
Strategy Game") is lower-cased word by word first, so capitals do not all read as proper
nouns; the tokens are tagged by Brill's tagger (:mod:`regen.modules.brill_tagger`); then

- ``content``: closed-class words (determiners, prepositions, conjunctions, pronouns, modals,
  ...) and punctuation are dropped; numbers become ``<NUM>``; proper nouns, and words that are
  not plain lower-case or capitalised words (``GNU``, ``arm64``, ``GTK+``), are
  kept verbatim with their tag; every other content word becomes ``lemma/TAG`` with WordNet's
  lemma (:mod:`regen.modules.wordnet_morphy`). The Penn tag keeps the inflection (NNS, VBG), so
  the renderer learns word order, function words and inflection, not content.
- ``words``: the content words (the same open classes, numbers included) exactly as the
  synopsis writes them, no tags: the function words and punctuation are what the renderer
  adds. Surface words are what the record holds (a lemma such as ``parse`` is often not in
  X when ``parsing`` is), so the generator can copy them, and a template item is one word
  piece where ``lemma/TAG`` is two or more.
- ``lemmas`` (the middle of the trade-off): every token in order, function words and
  punctuation included, lower-cased; content words become their WordNet lemma (no tag),
  numbers ``<NUM>``, proper nouns and identifiers stay as written, exactly as in ``content``.
  Only inflection, case and spacing are left to the renderer: the content and words routes
  lose 1.3-2.0 dev BLEU writing the function words back without X (docs/text.md).
- ``lemmas_cased`` (the least compact point): as ``lemmas``, but every token keeps its case as
  written and numbers stay verbatim; a lemmatised word keeps its first letter's case
  ("Creates" -> "Create"). The title-case lowering above is for tagging only here. Y' is then
  nearly Y with the inflections stripped: the renderer restores inflection only, since the
  lower-casing and ``<NUM>`` of ``lemmas`` cost words no renderer can tell back without X.
- ``skeleton`` (the other end of the trade-off): function words and punctuation kept, content
  words reduced to their tag slot, numbers to ``<NUM>``.

:class:`TextTemplate` is the Representation over token ids of one shared
:class:`regen.modules.word_pieces.WordPieces` vocabulary.
"""

from __future__ import annotations

import re

import torch

from regen.contracts import YSpec
from regen.errors import ConfigError
from regen.modules.brill_tagger import NUMBER, BrillTagger
from regen.modules.sequences import pad_rows, unpad_rows
from regen.modules.word_pieces import WordPieces
from regen.modules.wordnet_morphy import WordNetMorphy

KINDS = ("content", "words", "skeleton", "lemmas", "lemmas_cased")
RULE_VERSION = 2  # bump when the rule changes: cached templates are keyed by it
TOKEN = re.compile(r"[A-Za-z0-9][\w.+#-]*[\w+#]|[A-Za-z0-9]|[^\w\s]")
CONTENT_TAGS = {"NN": "noun", "VB": "verb", "JJ": "adj", "RB": "adv"}  # tag prefix -> WordNet pos
KEEP_TAGS = ("NN", "VB", "JJ", "RB", "CD", "FW")  # open classes (prefixes of Penn tags)
NUM = "<NUM>"


def tokens(text: str) -> list[str]:
    """Words, identifiers (``C++``, ``node.js``, ``3.2``) and punctuation marks."""
    return TOKEN.findall(text)


def untitle(words: list[str]) -> list[str]:
    """Lower-case the capitalised words of a title-case line ("Real-Time Strategy Game")."""
    alpha = [w for w in words if w[:1].isalpha() and len(w) > 3]
    if len(alpha) >= 2 and all(w[0].isupper() for w in alpha):
        return [w.lower() if w.istitle() else w for w in words]
    return words


def tagged(text: str) -> list[tuple[str, str]]:
    """``[(token, Penn tag), ...]`` of one synopsis, after :func:`untitle`."""
    return BrillTagger.load().tag(untitle(tokens(text)))


def _verbatim(word: str, tag: str) -> bool:
    """Proper nouns and identifiers (``GNOME``, ``arm64``, ``GTK+``) stay as written."""
    plain = word.isalpha() and (word.islower() or word.istitle())  # "Runtime" opens a line
    return tag.startswith("NNP") or not plain


def content_template(text: str) -> list[str]:
    """The content template of a synopsis: ``["python/JJ", "library/NN", ...]``."""
    morphy = WordNetMorphy.load()
    items = []
    for word, tag in tagged(text):
        if not tag.startswith(KEEP_TAGS):
            continue
        if NUMBER.match(word):
            items.append(NUM)
        elif _verbatim(word, tag):
            items.append(f"{word}/{tag}")
        elif tag.startswith(("CD", "FW")):
            items.append(f"{word}/{tag}")
        else:
            items.append(f"{morphy.lemma(word.lower(), CONTENT_TAGS[tag[:2]])}/{tag}")
    return items


def words_template(text: str) -> list[str]:
    """The content words as written (no lemma, no tag): ``["Python", "library", ...]``."""
    raw = tokens(text)
    return [word for word, (_, tag) in zip(raw, tagged(text)) if tag.startswith(KEEP_TAGS)]


def lemmas_template(text: str) -> list[str]:
    """Every token, lower-cased, content words as their lemma: ``["python", "library", "for",
    "parse", ...]``; numbers, proper nouns and identifiers as in :func:`content_template`."""
    morphy = WordNetMorphy.load()
    items = []
    for word, tag in tagged(text):
        # NUMBER also matches ":" and "-": only a word tagged as an open class is a number
        if tag.startswith(KEEP_TAGS) and NUMBER.match(word):
            items.append(NUM)
        elif _verbatim(word, tag):  # also punctuation, kept as written
            items.append(word)
        elif tag[:2] in CONTENT_TAGS:
            items.append(morphy.lemma(word.lower(), CONTENT_TAGS[tag[:2]]))
        else:
            items.append(word.lower())
    return items


def lemmas_cased_template(text: str) -> list[str]:
    """Every token as written, inflected content words as their lemma with the word's first-letter
    case: ``["Python", "library", "for", "parse", ...]``; numbers verbatim."""
    morphy = WordNetMorphy.load()
    items = []
    # tags come from the untitled tokens; what is emitted starts from the raw token
    for raw, (word, tag) in zip(tokens(text), tagged(text)):
        if _verbatim(word, tag) or tag[:2] not in CONTENT_TAGS:
            items.append(raw)
            continue
        lemma = morphy.lemma(word.lower(), CONTENT_TAGS[tag[:2]])
        if lemma == raw.lower():  # not inflected: keep every letter's case ("X", "GNOME")
            items.append(raw)
        else:
            items.append(lemma[:1].upper() + lemma[1:] if raw[:1].isupper() else lemma)
    return items


def skeleton_template(text: str) -> list[str]:
    """Function words kept (lower-cased), content words as their tag slot: ``["/JJ", ...]``."""
    items = []
    for word, tag in tagged(text):
        if NUMBER.match(word):
            items.append(NUM)
        elif tag.startswith(KEEP_TAGS):
            items.append(f"/{tag}")
        else:
            items.append(word.lower())
    return items


def template(text: str, kind: str = "content") -> str:
    """Y' of one synopsis as text (items joined by spaces); depends on ``text`` alone."""
    if kind not in KINDS:
        raise ConfigError(f"template kind {kind!r}; choose from: {', '.join(KINDS)}")
    rules = {
        "content": content_template,
        "words": words_template,
        "skeleton": skeleton_template,
        "lemmas": lemmas_template,
        "lemmas_cased": lemmas_cased_template,
    }
    return " ".join(rules[kind](text))


TAGGED_KINDS = ("content", "skeleton")  # whose items end in "/TAG"


def template_words(template_text: str, kind: str) -> list[str]:
    """The lower-cased words of a ``kind`` template's items, number slots left out: what
    template F1 compares. Only the tagged kinds' items lose their last ``/TAG``; in the other
    kinds a slash belongs to the word ("TCP/IP")."""
    items = [item for item in template_text.split() if item != NUM]
    if kind in TAGGED_KINDS:
        items = [item.rsplit("/", 1)[0] for item in items]
    return [item.lower() for item in items]


def content_lemmas(text: str) -> list[str]:
    """The lower-cased lemmas (or verbatim words) of a synopsis's content template, without
    tags and number slots: what template adherence and the hallucination proxy compare."""
    return template_words(template(text, "content"), "content")


class TextTemplate:
    """Synopsis token ids [B, L] <-> template token ids [B, L'] over one shared vocabulary.

    ``decode`` is not defined (a template drops words): the renderer is a trained model.
    """

    trainable = False

    def __init__(self, vocab: WordPieces, kind: str = "content") -> None:
        if kind not in KINDS:
            raise ConfigError(f"representation.kind {kind!r}; choose from: {', '.join(KINDS)}")
        self.vocab = vocab
        self.kind = kind
        self.spec = YSpec(
            kind="discrete",
            shape=(None,),
            dtype="int64",
            vocab_size=len(vocab),
            name=f"{kind} template",
        )

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        return pad_rows([self.vocab.encode(template(t, self.kind)) or [1] for t in texts])[0]

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        return self.encode_texts([self.vocab.decode(row) for row in unpad_rows(y)])

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("a content template drops words; render it with the renderer")
