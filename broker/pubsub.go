package broker

// PLACEHOLDER: replaced by the Pub/Sub implementation.

// PubSubOptions are the default limits and policy of subscriptions.
type PubSubOptions struct{}

type hub struct{}

func newHub(o PubSubOptions) *hub { return &hub{} }
func (h *hub) close()             {}
