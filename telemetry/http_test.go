package telemetry

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSpanName: an unknown method names no series and no span of its own.
func TestSpanName(t *testing.T) {
	assert.Equal(t, "GET /api/v1/data/{object}", spanName(requestMethod("GET"), "/api/v1/data/{object}"))
	assert.Equal(t, "HTTP /api/v1/data/{object}", spanName(requestMethod("PROPFIND"), "/api/v1/data/{object}"))
	assert.Equal(t, "POST", spanName(requestMethod("POST"), ""))
	assert.Equal(t, "_OTHER", string(requestMethod("get")))
}
