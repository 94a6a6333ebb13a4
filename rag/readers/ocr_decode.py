"""The recogniser's column scores for one line -> its text, score, and where each character was read.

RapidOCR's recogniser (PP-OCRv4, CTC) scores every class for each column of 8 pixels of a
line scaled to 48 pixels high; its decoder takes the best class of each column and drops blanks
and repeats. `Decoder` does the same, and two things more:

- It keeps where each character was read: the middle of its first column, as a fraction of the
  line's length. rag.readers.ocr_lines measures punctuation widths with it.
- It keeps, for each character, the one the recogniser scored next in the same column, with its
  score (rag.readers.ocr_script reads a Traditional page's characters with them).
- It reads a character that the recogniser saw but scored below blank: between two characters
  read, the best class of the columns in between, if it scored `RECOVER_SCORE` or more. On six
  pages of bench/ocr.py's scans (two of the Traditional report, where PP-OCRv4 knows few
  characters), 36 of the 44 characters found this way were right (聯 at 0.38 beside a blank at
  0.38; a comma or quote between a quote and the next word), 7 took the place of a dropped
  character they do not match, and one (·) was read where nothing was printed.
"""

from __future__ import annotations

RECOVER_SCORE = 0.2  # below it, most characters found between two read ones were wrong


class Decoder:
    """Stands in for RapidOCR's CTCLabelDecode: called with the scores of a batch of lines, gives
    (text, score) for each, or (text, score, places) when word boxes are asked for."""

    def __init__(self, characters: list[str]):
        self.characters = characters
        self.space = characters.index(" ") if " " in characters else 0

    def __call__(self, preds, return_word_box: bool = False, wh_ratio_list=None, max_wh_ratio=None, **_):
        rows = []
        for n, scores in enumerate(preds):
            # Lines of a batch are padded to the widest; this line fills `filled` of the columns.
            filled = len(scores) * (wh_ratio_list[n] / max_wh_ratio if wh_ratio_list and max_wh_ratio else 1.0)
            columns, classes = self._read(scores)
            text = "".join(self.characters[k] for k in classes)
            score = float(scores[columns, classes].mean()) if columns else 0.0
            places = [round((column + 0.5) / filled, 4) for column in columns]
            rows.append((text, score, (places, self._runners_up(scores, columns, classes))) if return_word_box else (text, score))
        return rows

    def _runners_up(self, scores, columns: list[int], classes: list[int]) -> list[tuple[str, float]]:
        """For each character read, the class the recogniser scored next in its column (blank and
        space aside), with its score: on a Traditional page the character printed is often that one
        (兩 at 0.48 behind 雨), as rag.readers.ocr_script reads it."""
        runners = []
        for column, kind in zip(columns, classes):
            row = scores[column].copy()
            row[[0, self.space, kind]] = 0.0
            best = int(row.argmax())
            runners.append((self.characters[best], round(float(row[best]), 3)))
        return runners

    def _read(self, scores) -> tuple[list[int], list[int]]:
        """The column and class of each character: greedy CTC decoding, then dropped characters recovered."""
        best = scores.argmax(axis=1)
        columns = [c for c in range(len(best)) if best[c] and (c == 0 or best[c] != best[c - 1])]
        classes = [int(best[c]) for c in columns]
        for i in reversed(range(len(columns) - 1)):
            found = self._dropped(scores, best, columns[i : i + 2], classes[i : i + 2])
            if found is not None:
                columns.insert(i + 1, found[0])
                classes.insert(i + 1, found[1])
        return columns, classes

    def _dropped(self, scores, best, pair: list[int], kinds: list[int]) -> tuple[int, int] | None:
        """The best-scoring character between two read ones, if it scored `RECOVER_SCORE` or more.

        Not a blank or space, nor either neighbour again (CTC reads a repeat only across a blank),
        nor a column still reading the left neighbour.
        """
        start, end = pair[0] + 1, pair[1]
        if end - start < 1:
            return None
        window = scores[start:end].copy()
        window[:, [0, self.space, *kinds]] = 0.0
        window[best[start:end] == kinds[0]] = 0.0
        column, kind = divmod(int(window.argmax()), window.shape[1])
        if window[column, kind] < RECOVER_SCORE or not self.characters[kind].strip():
            return None
        return start + column, kind
