package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// historyMax is how many lines the REPL's history keeps, linenoise's
// default as redis-cli uses it.
const historyMax = 100

// historyFile returns the path of the REPL's history file, as redis-cli
// finds its ~/.rediscli_history: $BROOKCLI_HISTFILE when set (empty or
// /dev/null: no file), else ~/.brookcli_history; "" when there is none.
func historyFile() string {
	if path, ok := os.LookupEnv("BROOKCLI_HISTFILE"); ok {
		if path == "" || path == os.DevNull {
			return ""
		}
		if rest, ok := strings.CutPrefix(path, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				return filepath.Join(home, rest)
			}
		}
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".brookcli_history")
}

// fileHistory is the REPL's line history ([term.History]), kept in a file
// when it has a path: loaded at start, rewritten after each new line (0600,
// the last historyMax lines, one per line), so the next session finds it.
// Failing to read or write the file only loses the history. Not safe for
// concurrent use.
type fileHistory struct {
	path    string
	entries []string // oldest first
}

// loadHistory reads the history in path ("" for none).
func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	if path == "" {
		return h
	}
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			h.entries = append(h.entries, line)
		}
	}
	h.trim()
	return h
}

func (h *fileHistory) trim() {
	if n := len(h.entries); n > historyMax {
		h.entries = append(h.entries[:0:0], h.entries[n-historyMax:]...)
	}
}

// Add appends a line, skipping blank lines and a repeat of the last one,
// and saves the history.
func (h *fileHistory) Add(entry string) {
	if strings.TrimSpace(entry) == "" || strings.ContainsAny(entry, "\r\n") {
		return
	}
	if n := len(h.entries); n > 0 && h.entries[n-1] == entry {
		return
	}
	h.entries = append(h.entries, entry)
	h.trim()
	h.save()
}

// Len returns the number of lines.
func (h *fileHistory) Len() int { return len(h.entries) }

// At returns a line, 0 being the most recent.
func (h *fileHistory) At(idx int) string { return h.entries[len(h.entries)-1-idx] }

// save writes the history to its file, replacing what it held (0600, as
// linenoise does for redis-cli).
func (h *fileHistory) save() {
	if h.path == "" {
		return
	}
	data := strings.Join(h.entries, "\n") + "\n"
	if os.WriteFile(h.path, []byte(data), 0o600) == nil {
		os.Chmod(h.path, 0o600) // WriteFile keeps the mode of a file that existed
	}
}
