package apikey_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
)

// Keys belong to users: without a plugin that provides sys_user, New says
// so instead of POST /keys answering 404 at the first request.
func TestNewNeedsUsers(t *testing.T) {
	a, err := objectos.ParseArtifact([]byte("name: x\nobjects: [{name: thing, fields: {name: {type: text}}}]\n"))
	require.NoError(t, err)
	_, err = objectos.New(context.Background(), objectos.Options{Artifact: a, Store: testenv.Open(t, testenv.SQLite),
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), apikey.New(apikey.Options{}), security.New()}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin apikey: object sys_api_key: field user_id references object "sys_user"`)
	assert.Contains(t, err.Error(), "auth.New")
}
