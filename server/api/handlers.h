/* Every handler of the route table, by resource. */
#ifndef READOUT_API_HANDLERS_H
#define READOUT_API_HANDLERS_H

#include "http/http.h"

#define HANDLER(name) void name(struct http_request *req, struct http_response *res)

HANDLER(api_meta_index);
HANDLER(api_meta_healthz);
HANDLER(api_meta_readyz);
HANDLER(api_meta_metrics);
HANDLER(api_meta_openapi);
HANDLER(api_explore_redirect);
HANDLER(api_explore_index);
HANDLER(api_explore_asset);

HANDLER(api_participants_list);
HANDLER(api_participants_meetings);
HANDLER(api_meetings_list);
HANDLER(api_meetings_atom);
HANDLER(api_meetings_put_participant);
HANDLER(api_meetings_delete_participant);
HANDLER(api_meetings_put_principle);
HANDLER(api_meetings_delete_principle);
HANDLER(api_meetings_mentions);
HANDLER(api_principles_list);
HANDLER(api_principles_timeline);
HANDLER(api_transfer_export);
HANDLER(api_transfer_import);
HANDLER(api_search);
HANDLER(api_changes);
HANDLER(api_versions);
HANDLER(api_version);

#endif
