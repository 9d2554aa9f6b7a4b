package command_test

import (
	"context"
	"fmt"
	"os"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

func ExampleHandler() {
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	h := &command.Handler{B: b}
	ctx := context.Background()
	for _, line := range []string{
		`XADD orders 1-0 item book qty 2`,
		`XADD orders 2-0 item "desk lamp" qty 1`,
		`XRANGE orders - + COUNT 1`,
		`XLEN`,
	} {
		args, err := command.SplitArgs(line)
		if err != nil {
			fmt.Println(command.InvalidArgsMessage)
			continue
		}
		h.Do(ctx, args).WriteTo(os.Stdout)
	}
	// Output:
	// "1-0"
	// "2-0"
	// 1) 1) "1-0"
	//    2) 1) "item"
	//       2) "book"
	//       3) "qty"
	//       4) "2"
	// (error) ERR wrong number of arguments for 'xlen' command
}

func ExampleSplitArgs() {
	args, err := command.SplitArgs(`PUBLISH "news tech" 'it\'s' "\x41\n"`)
	fmt.Printf("%q %v\n", args, err)
	_, err = command.SplitArgs(`ECHO "unclosed`)
	fmt.Println(err)
	// Output:
	// ["PUBLISH" "news tech" "it's" "A\n"] <nil>
	// command: invalid argument(s)
}

func ExampleSession() {
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	h := &command.Handler{B: b}
	ctx := context.Background()

	s := h.NewSession()
	defer s.Close()
	for _, r := range s.Do(ctx, []string{"SUBSCRIBE", "news"}) {
		r.WriteTo(os.Stdout)
	}
	// Another client publishes.
	h.Do(ctx, []string{"PUBLISH", "news", "hello"}).WriteTo(os.Stdout)

	// Print what is queued, without waiting.
	now, cancel := context.WithCancel(ctx)
	cancel()
	for {
		m, err := s.Next(now)
		if err != nil {
			break
		}
		m.WriteTo(os.Stdout)
	}
	// Output:
	// 1) "subscribe"
	// 2) "news"
	// 3) (integer) 1
	// (integer) 1
	// 1) "message"
	// 2) "news"
	// 3) "hello"
}
