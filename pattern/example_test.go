package pattern_test

import (
	"fmt"
	"slices"

	"github.com/brookmq/brook/pattern"
)

func ExampleMatch() {
	fmt.Println(pattern.Match("news.*", "news.tech"))
	fmt.Println(pattern.Match("h[^e]llo", "hallo"))
	fmt.Println(pattern.Match("???", "中")) // three bytes
	fmt.Println(pattern.Match("*", ""))    // the empty channel matches only ""
	fmt.Println(pattern.Match("{a,b}", "a"))
	// Output:
	// true
	// true
	// true
	// false
	// false
}

func ExampleIndex() {
	idx := pattern.NewIndex()
	for _, p := range []string{"news.*", "news.t?ch", "sport.*", "*", "news.tech"} {
		idx.Add(p)
	}
	idx.Remove("*")

	var got []string
	idx.Match("news.tech", func(p string) { got = append(got, p) })
	slices.Sort(got)
	fmt.Println(idx.Len(), got)
	// Output:
	// 4 [news.* news.t?ch news.tech]
}
