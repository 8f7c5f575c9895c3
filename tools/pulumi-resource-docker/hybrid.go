package main

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// hybridProvider serves docker:index/image:Image natively and everything else through the bridge, the way
// pulumi/pulumi-docker provider/hybrid.go (dockerHybridProvider) routes by the URN's type token.
type hybridProvider struct {
	pulumirpc.ResourceProviderServer // the bridged provider
	image                            *imageProvider
}

func isImage(urn string) bool {
	return resource.URN(urn).IsValid() && resource.URN(urn).Type().String() == imageToken
}

func (h *hybridProvider) Configure(ctx context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	if err := h.image.configure(ctx, req); err != nil {
		return nil, err
	}
	resp, err := h.ResourceProviderServer.Configure(ctx, req)
	if err != nil {
		return nil, err
	}
	// The native Image resource handles previews itself (buildOnPreview).
	resp.SupportsPreview = true
	return resp, nil
}

func (h *hybridProvider) Check(ctx context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if isImage(req.GetUrn()) {
		return h.image.Check(ctx, req)
	}
	return h.ResourceProviderServer.Check(ctx, req)
}

func (h *hybridProvider) Diff(ctx context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if isImage(req.GetUrn()) {
		return h.image.Diff(ctx, req)
	}
	return h.ResourceProviderServer.Diff(ctx, req)
}

func (h *hybridProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if isImage(req.GetUrn()) {
		return h.image.Create(ctx, req)
	}
	return h.ResourceProviderServer.Create(ctx, req)
}

func (h *hybridProvider) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if isImage(req.GetUrn()) {
		return h.image.Read(ctx, req)
	}
	return h.ResourceProviderServer.Read(ctx, req)
}

func (h *hybridProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if isImage(req.GetUrn()) {
		return h.image.Update(ctx, req)
	}
	return h.ResourceProviderServer.Update(ctx, req)
}

func (h *hybridProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if isImage(req.GetUrn()) {
		return h.image.Delete(ctx, req)
	}
	return h.ResourceProviderServer.Delete(ctx, req)
}

func (h *hybridProvider) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: h.image.version}, nil
}
