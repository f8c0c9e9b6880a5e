"""The keyboard alone (issue 13: "every flow completes by keyboard alone").

``tab_to`` presses Tab (or Shift+Tab) until an element has the focus and fails
when it never gets it, or gets it without the site's visible focus ring: that
failure is the accessibility assertion, a control that Tab cannot reach (or
whose focus cannot be seen) is a bug of the page. The other helpers reach a control
that way, then operate it with the keys a keyboard user has: text typed,
radios by the arrows, check boxes by Space, buttons and links by Enter.
"""

from __future__ import annotations

# Where the focus is after a press: whether on ``s``, what it is, and its focus
# ring. The site's ring (site.css: 3px solid, --focus) shows a keyboard user
# where the focus is (WCAG 2.4.7), on every control Tab stops at (the body,
# when the focus has left the page for the browser, has none to show).
WHERE = """s => {
  const e = document.activeElement;
  if (!e || e === document.body) { return {hit: false, what: 'the body', ring: ''}; }
  const style = getComputedStyle(e);
  return {
    hit: e.matches(s),
    what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (e.name ? '[name=' + e.name + ']' : ''),
    ring: style.outlineStyle + ' ' + style.outlineWidth,
  };
}"""
RING = "solid 3px"


def where(page, selector: str) -> dict:
    """The focused element; it fails when a control has the focus unseen."""
    at = page.evaluate(WHERE, selector)
    if at["what"] != "the body":
        assert at["ring"] == RING, f"{at['what']} has the focus unseen: {at['ring']}"
    return at


def tab_to(page, selector: str, most: int = 80, backward: bool = False) -> None:
    """Move the focus to ``selector`` with Tab (Shift+Tab when ``backward``);
    fails after ``most`` presses, naming where the focus was left, and on any
    control passed on the way whose focus cannot be seen."""
    key = "Shift+Tab" if backward else "Tab"
    for _ in range(most):
        if where(page, selector)["hit"]:
            return
        page.keyboard.press(key)
    at = where(page, selector)
    if not at["hit"]:
        raise AssertionError(
            f"{most} presses of {key} never reached {selector} "
            f"(the focus is on {at['what']})"
        )


def type_into(page, selector: str, text: str, backward: bool = False) -> None:
    """Tab to a text field, select what it holds and type ``text`` over it."""
    tab_to(page, selector, backward=backward)
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def type_date(page, selector: str, iso: str) -> None:
    """Tab to a date field (zh-CN: 年/月/日, the year first, up to six digits,
    so the right arrow moves on to the month) and type ``iso`` (YYYY-MM-DD)."""
    year, month, day = iso.split("-")
    tab_to(page, selector)
    page.keyboard.type(year)
    page.keyboard.press("ArrowRight")
    page.keyboard.type(month + day)
    value = page.input_value(selector)
    assert value == iso, f"typed {iso} into {selector}, it holds {value!r}"


def press_on(page, selector: str, key: str = "Enter", backward: bool = False) -> None:
    """Tab to a button or link and press ``key`` (Enter, or Space)."""
    tab_to(page, selector, backward=backward)
    page.keyboard.press(key)


def tick(page, selector: str) -> None:
    """Tab to a check box and tick it with Space."""
    tab_to(page, selector)
    if not page.is_checked(selector):
        page.keyboard.press("Space")
    assert page.is_checked(selector), f"Space did not tick {selector}"


def choose_radio(page, group: str, choice: str, most: int = 10) -> None:
    """Tab into the radio group ``group`` (a selector of its inputs) and move
    with the down arrow until ``choice`` is chosen."""
    tab_to(page, group)
    for _ in range(most):
        if page.is_checked(choice):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrows never chose {choice} in {group}")


def choose_option(page, selector: str, value: str, most: int = 20) -> None:
    """Tab to a closed <select> and move with the down arrow to ``value``."""
    tab_to(page, selector)
    for _ in range(most):
        if page.input_value(selector) == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrows never chose {value} in {selector}")
