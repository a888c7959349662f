/*
 * The route table: every endpoint of the API, its method, handler and what
 * the transport must check before calling it.
 */
#include "api/api.h"
#include "api/handlers.h"
#include "api/resource.h"

#define C (ROUTE_CACHE)
#define CA (ROUTE_CACHE | ROUTE_VARY_ACCEPT)
#define W (ROUTE_WRITE)
#define WJ (ROUTE_WRITE | ROUTE_JSON_BODY)
#define WP (ROUTE_WRITE | ROUTE_JSON_BODY | ROUTE_MERGE_PATCH)

static const struct route routes[] = {
    {HTTP_GET, "/", api_meta_index, 0, NULL},
    {HTTP_GET, "/healthz", api_meta_healthz, 0, NULL},
    {HTTP_GET, "/readyz", api_meta_readyz, 0, NULL},
    {HTTP_GET, "/metrics", api_meta_metrics, 0, NULL},
    {HTTP_GET, "/openapi.json", api_meta_openapi, 0, NULL},
    {HTTP_GET, "/explore", api_explore_redirect, 0, NULL},
    {HTTP_GET, "/explore/", api_explore_index, 0, NULL},
    {HTTP_GET, "/explore/{}", api_explore_asset, 0, NULL},
    {HTTP_GET, "/v1/participants", api_participants_list, CA, NULL},
    {HTTP_POST, "/v1/participants", api_resource_create, WJ, &api_participants},
    {HTTP_GET, "/v1/participants/{}", api_resource_get, C, &api_participants},
    {HTTP_PUT, "/v1/participants/{}", api_resource_replace, WJ, &api_participants},
    {HTTP_PATCH, "/v1/participants/{}", api_resource_patch, WP, &api_participants},
    {HTTP_DELETE, "/v1/participants/{}", api_resource_delete, W, &api_participants},
    {HTTP_GET, "/v1/participants/{}/versions", api_versions, 0, &api_participants},
    {HTTP_GET, "/v1/participants/{}/versions/{}", api_version, 0, &api_participants},
    {HTTP_GET, "/v1/participants/{}/meetings", api_participants_meetings, C, NULL},
    {HTTP_GET, "/v1/meetings", api_meetings_list, CA, NULL},
    {HTTP_POST, "/v1/meetings", api_resource_create, WJ, &api_meetings},
    {HTTP_GET, "/v1/meetings.atom", api_meetings_atom, C, NULL},
    /* Not cached: its stored JSON is one primary-key read, as cheap as the
     * cache's own check of the data generation. */
    {HTTP_GET, "/v1/meetings/{}", api_resource_get, 0, &api_meetings},
    {HTTP_PUT, "/v1/meetings/{}", api_resource_replace, WJ, &api_meetings},
    {HTTP_PATCH, "/v1/meetings/{}", api_resource_patch, WP, &api_meetings},
    {HTTP_DELETE, "/v1/meetings/{}", api_resource_delete, W, &api_meetings},
    {HTTP_GET, "/v1/meetings/{}/versions", api_versions, 0, &api_meetings},
    {HTTP_GET, "/v1/meetings/{}/mentions", api_meetings_mentions, C, NULL},
    {HTTP_GET, "/v1/meetings/{}/versions/{}", api_version, 0, &api_meetings},
    {HTTP_PUT, "/v1/meetings/{}/participants/{}", api_meetings_put_participant, WJ, NULL},
    {HTTP_DELETE, "/v1/meetings/{}/participants/{}", api_meetings_delete_participant, W, NULL},
    {HTTP_PUT, "/v1/meetings/{}/principles/{}", api_meetings_put_principle, WJ, NULL},
    {HTTP_DELETE, "/v1/meetings/{}/principles/{}", api_meetings_delete_principle, W, NULL},
    {HTTP_GET, "/v1/principles", api_principles_list, CA, NULL},
    {HTTP_POST, "/v1/principles", api_resource_create, WJ, &api_principles},
    {HTTP_GET, "/v1/principles/{}", api_resource_get, C, &api_principles},
    {HTTP_PUT, "/v1/principles/{}", api_resource_replace, WJ, &api_principles},
    {HTTP_PATCH, "/v1/principles/{}", api_resource_patch, WP, &api_principles},
    {HTTP_DELETE, "/v1/principles/{}", api_resource_delete, W, &api_principles},
    {HTTP_GET, "/v1/principles/{}/versions", api_versions, 0, &api_principles},
    {HTTP_GET, "/v1/principles/{}/versions/{}", api_version, 0, &api_principles},
    {HTTP_GET, "/v1/principles/{}/timeline", api_principles_timeline, C, NULL},
    {HTTP_GET, "/v1/search", api_search, C, NULL},
    {HTTP_GET, "/v1/changes", api_changes, 0, NULL},
    {HTTP_GET, "/v1/export", api_transfer_export, 0, NULL},
    {HTTP_POST, "/v1/import", api_transfer_import, ROUTE_ADMIN | ROUTE_JSON_BODY | ROUTE_LARGE_BODY,
     NULL},
};

const struct router api_router = {routes, sizeof routes / sizeof routes[0]};
