"""The command palette (Ctrl+Shift+P, View > Command palette...): every menu command with its
shortcut, filtered as you type (all words must match, in any order); Enter or a double-click
runs the highlighted one. It doubles as the searchable shortcut list. GUI thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


def commands(win: Any) -> list[tuple[str, str, QAction]]:
    """(menu path, shortcuts, action) for every enabled command in the window's menus."""
    out: list[tuple[str, str, QAction]] = []

    def walk(menu: Any, path: str) -> None:
        for a in menu.actions():
            if a.isSeparator():
                continue
            sub = a.menu()
            text = a.text().replace("&", "").replace("\u2026", "\u2026")
            if sub is not None:
                walk(sub, f"{path}{text} \u25b8 ")
                continue
            keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts())
            out.append((f"{path}{text}", keys, a))

    for top in win.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), top.text().replace("&", "") + " \u25b8 ")
    return out


class CommandPalette(QDialog):
    def __init__(self, win: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent or win)
        self.win = win
        self.setWindowTitle("Commands and shortcuts")
        self.resize(560, 460)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Type to find a command or a key (e.g. 'export', 'undo', 'ctrl+e')")
        self.list = QListWidget()
        lay = QVBoxLayout(self)
        lay.addWidget(self.query)
        lay.addWidget(self.list, 1)
        self.items = commands(win)
        self.query.textChanged.connect(self.filter)
        self.query.returnPressed.connect(self.run_current)
        self.list.itemActivated.connect(lambda _i: self.run_current())
        self.filter("")

    def keyPressEvent(self, e: Any) -> None:  # noqa: N802 - arrows move in the list while typing
        if e.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            row = self.list.currentRow() + (1 if e.key() == Qt.Key.Key_Down else -1)
            self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
            return
        super().keyPressEvent(e)

    def filter(self, text: str) -> None:
        words = text.lower().split()
        self.list.clear()
        for path, keys, action in self.items:
            hay = f"{path} {keys}".lower()
            if all(w in hay for w in words):
                item = QListWidgetItem(f"{path}    {keys}" if keys else path)
                item.setData(Qt.ItemDataRole.UserRole, action)
                item.setToolTip(action.statusTip() or path)
                if not action.isEnabled():
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                self.list.addItem(item)
        for i in range(self.list.count()):
            if self.list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled:
                self.list.setCurrentRow(i)
                break

    def shown(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def run_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        action = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        if isinstance(action, QAction) and action.isEnabled():
            action.trigger()
