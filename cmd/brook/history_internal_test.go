package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestHistoryFileEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("BROOKCLI_HISTFILE", "") // restored at the end, also after Unsetenv
	for _, tc := range []struct {
		set   bool
		value string
		want  string
	}{
		{false, "", filepath.Join(home, ".brookcli_history")},
		{true, "", ""},
		{true, os.DevNull, ""},
		{true, "/tmp/h", "/tmp/h"},
		{true, "~/h", filepath.Join(home, "h")},
	} {
		if tc.set {
			t.Setenv("BROOKCLI_HISTFILE", tc.value)
		} else {
			os.Unsetenv("BROOKCLI_HISTFILE")
		}
		if got := historyFile(); got != tc.want {
			t.Errorf("BROOKCLI_HISTFILE %t %q: historyFile() = %q, want %q", tc.set, tc.value, got, tc.want)
		}
	}
}

func TestFileHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h")
	h := loadHistory(path) // no file yet
	if h.Len() != 0 {
		t.Fatalf("Len = %d", h.Len())
	}
	for _, l := range []string{"PING", "PING", " ", "XLEN s"} {
		h.Add(l)
	}
	if got := []string{h.At(0), h.At(1)}; h.Len() != 2 || !slices.Equal(got, []string{"XLEN s", "PING"}) {
		t.Fatalf("Len %d, entries %q", h.Len(), got)
	}
	for i := range historyMax + 5 {
		h.Add(fmt.Sprint("ECHO ", i))
	}
	again := loadHistory(path)
	if again.Len() != historyMax || again.At(0) != fmt.Sprint("ECHO ", historyMax+4) || again.At(historyMax-1) != "ECHO 5" {
		t.Fatalf("reloaded: Len %d, newest %q, oldest %q", again.Len(), again.At(0), again.At(again.Len()-1))
	}
	none := loadHistory("")
	none.Add("PING") // kept in memory only
	if none.Len() != 1 || none.At(0) != "PING" {
		t.Fatalf("no file: Len %d", none.Len())
	}
}
