/*
 * The route table: every endpoint of the API, its method, handler and what
 * the transport must check before calling it.
 */
#include "api/api.h"
#include "api/handlers.h"

#define C (ROUTE_CACHE)
#define W (ROUTE_AUTH)
#define WJ (ROUTE_AUTH | ROUTE_JSON_BODY)
#define WP (ROUTE_AUTH | ROUTE_JSON_BODY | ROUTE_MERGE_PATCH)

static const struct route routes[] = {
    {HTTP_GET, "/", api_meta_index, 0},
    {HTTP_GET, "/healthz", api_meta_healthz, 0},
    {HTTP_GET, "/readyz", api_meta_readyz, 0},
    {HTTP_GET, "/metrics", api_meta_metrics, 0},
    {HTTP_GET, "/openapi.json", api_meta_openapi, 0},
    {HTTP_GET, "/v1/participants", api_participants_list, C},
    {HTTP_POST, "/v1/participants", api_participants_create, WJ},
    {HTTP_GET, "/v1/participants/{}", api_participants_get, C},
    {HTTP_PUT, "/v1/participants/{}", api_participants_replace, WJ},
    {HTTP_PATCH, "/v1/participants/{}", api_participants_patch, WP},
    {HTTP_DELETE, "/v1/participants/{}", api_participants_delete, W},
    {HTTP_GET, "/v1/participants/{}/meetings", api_participants_meetings, C},
    {HTTP_GET, "/v1/meetings", api_meetings_list, C},
    {HTTP_POST, "/v1/meetings", api_meetings_create, WJ},
    {HTTP_GET, "/v1/meetings/{}", api_meetings_get, C},
    {HTTP_PUT, "/v1/meetings/{}", api_meetings_replace, WJ},
    {HTTP_PATCH, "/v1/meetings/{}", api_meetings_patch, WP},
    {HTTP_DELETE, "/v1/meetings/{}", api_meetings_delete, W},
    {HTTP_PUT, "/v1/meetings/{}/participants/{}", api_meetings_put_participant, WJ},
    {HTTP_DELETE, "/v1/meetings/{}/participants/{}", api_meetings_delete_participant, W},
    {HTTP_PUT, "/v1/meetings/{}/principles/{}", api_meetings_put_principle, WJ},
    {HTTP_DELETE, "/v1/meetings/{}/principles/{}", api_meetings_delete_principle, W},
    {HTTP_GET, "/v1/principles", api_principles_list, C},
    {HTTP_POST, "/v1/principles", api_principles_create, WJ},
    {HTTP_GET, "/v1/principles/{}", api_principles_get, C},
    {HTTP_PUT, "/v1/principles/{}", api_principles_replace, WJ},
    {HTTP_PATCH, "/v1/principles/{}", api_principles_patch, WP},
    {HTTP_DELETE, "/v1/principles/{}", api_principles_delete, W},
    {HTTP_GET, "/v1/principles/{}/timeline", api_principles_timeline, C},
    {HTTP_GET, "/v1/search", api_search, C},
    {HTTP_GET, "/v1/export", api_transfer_export, 0},
    {HTTP_POST, "/v1/import", api_transfer_import, ROUTE_AUTH | ROUTE_JSON_BODY | ROUTE_LARGE_BODY},
};

const struct router api_router = {routes, sizeof routes / sizeof routes[0]};
