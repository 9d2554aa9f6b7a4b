// Package watermill implements Watermill's message.Publisher and
// message.Subscriber on brook's streams.
package watermill
