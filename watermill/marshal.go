package watermill

import (
	"slices"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/brookmq/brook/broker"
)

// Field names of the entry layout (see the package documentation).
const (
	// FieldUUID is the field holding the message's UUID.
	FieldUUID = "_uuid"
	// FieldPayload is the field holding the message's payload.
	FieldPayload = "_payload"
	// FieldMetadataPrefix starts the name of each metadata field: the
	// metadata key "k" with value "v" is the field "_meta.k" = "v".
	FieldMetadataPrefix = "_meta."
)

// encode returns msg's entry fields: the UUID, the metadata in key order,
// then the payload.
func encode(msg *message.Message) []broker.Field {
	fields := make([]broker.Field, 0, 2+len(msg.Metadata))
	fields = append(fields, broker.Field{Name: FieldUUID, Value: msg.UUID})
	keys := make([]string, 0, len(msg.Metadata))
	for k := range msg.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fields = append(fields, broker.Field{Name: FieldMetadataPrefix + k, Value: msg.Metadata[k]})
	}
	return append(fields, broker.Field{Name: FieldPayload, Value: string(msg.Payload)})
}

// decode builds a message from an entry's fields. An entry written by
// another producer is read leniently: without a _uuid field the message's
// UUID is the entry ID, without a _payload field the payload is empty, and
// fields outside the layout are ignored.
func decode(e broker.Entry) *message.Message {
	uuid := ""
	var payload []byte
	meta := make(message.Metadata)
	for _, f := range e.Fields {
		switch {
		case f.Name == FieldUUID:
			uuid = f.Value
		case f.Name == FieldPayload:
			payload = []byte(f.Value)
		case strings.HasPrefix(f.Name, FieldMetadataPrefix):
			meta[f.Name[len(FieldMetadataPrefix):]] = f.Value
		}
	}
	if uuid == "" {
		uuid = e.ID.String()
	}
	msg := message.NewMessage(uuid, payload)
	msg.Metadata = meta
	return msg
}
