from django.urls import path

from guanxi.sales import follow_up_views, scoring_views, setup_views, views, web_form_views

app_name = "sales"
urlpatterns = [
    path("", views.board, name="board"),
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal-edit"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal-move"),
    path("deals/<int:pk>/won/", views.deal_close, {"outcome": "won"}, name="deal-won"),
    path("deals/<int:pk>/lost/", views.deal_close, {"outcome": "lost"}, name="deal-lost"),
    path("deals/<int:pk>/products/", views.deal_line_items, name="deal-line-items"),
    path("deals/<int:pk>/delete/", views.deal_delete, name="deal-delete"),
    path("customers/<int:pk>/deals/", views.customer_deals, name="customer-deals"),
    path(
        "customers/<int:pk>/transactions/",
        views.customer_transactions,
        name="customer-transactions",
    ),
    path("deals/<int:pk>/quotes/new/", views.quote_create, name="quote-create"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote-pdf"),
    path("quotes/<int:pk>/send/", views.quote_decide, {"decision": "send"}, name="quote-send"),
    path(
        "quotes/<int:pk>/accept/", views.quote_decide, {"decision": "accept"}, name="quote-accept"
    ),
    path(
        "quotes/<int:pk>/reject/", views.quote_decide, {"decision": "reject"}, name="quote-reject"
    ),
    path("orders/<int:pk>/payments/new/", views.payment_create, name="payment-create"),
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/new/", views.lead_create, name="lead-create"),
    path("leads/scoring/", scoring_views.scoring_rules, name="scoring-rules"),
    path(
        "leads/scoring/<int:pk>/delete/",
        scoring_views.scoring_rule_delete,
        name="scoring-rule-delete",
    ),
    path("leads/web-forms/", web_form_views.web_form_list, name="web-form-list"),
    path(
        "leads/web-forms/<int:pk>/toggle/",
        web_form_views.web_form_toggle,
        name="web-form-toggle",
    ),
    path("forms/<str:token>/", web_form_views.web_form_public, name="web-form-public"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/claim/", views.lead_action, {"action": "claim"}, name="lead-claim"),
    path("leads/<int:pk>/release/", views.lead_action, {"action": "release"}, name="lead-release"),
    path(
        "leads/<int:pk>/follow-up/",
        views.lead_action,
        {"action": "follow-up"},
        name="lead-follow-up",
    ),
    path("leads/<int:pk>/convert/", views.lead_action, {"action": "convert"}, name="lead-convert"),
    path("follow-ups/", follow_up_views.follow_up_list, name="follow-up-list"),
    path("follow-ups/badge/", follow_up_views.follow_up_badge, name="follow-up-badge"),
    path("not-contacted/", follow_up_views.idle_customer_list, name="idle-customer-list"),
    path("setup/", setup_views.setup_home, name="setup"),
    path("setup/pipelines/", setup_views.setup_pipelines, name="setup-pipelines"),
    path("setup/pipelines/<int:pk>/", setup_views.setup_pipeline, name="setup-pipeline"),
    path(
        "setup/pipelines/<int:pk>/toggle/",
        setup_views.setup_pipeline_toggle,
        name="setup-pipeline-toggle",
    ),
    path(
        "setup/pipelines/<int:pk>/stages/",
        setup_views.setup_stage_create,
        name="setup-stage-create",
    ),
    path("setup/stages/<int:pk>/", setup_views.setup_stage_update, name="setup-stage-update"),
    path(
        "setup/stages/<int:pk>/up/",
        setup_views.setup_stage_move,
        {"direction": "up"},
        name="setup-stage-up",
    ),
    path(
        "setup/stages/<int:pk>/down/",
        setup_views.setup_stage_move,
        {"direction": "down"},
        name="setup-stage-down",
    ),
    path(
        "setup/stages/<int:pk>/toggle/", setup_views.setup_stage_toggle, name="setup-stage-toggle"
    ),
    path(
        "setup/stages/<int:pk>/delete/", setup_views.setup_stage_delete, name="setup-stage-delete"
    ),
    path("setup/pools/", setup_views.setup_pools, name="setup-pools"),
    path("setup/pools/<int:pk>/", setup_views.setup_pool_update, name="setup-pool-update"),
    path("setup/targets/", setup_views.setup_targets, name="setup-targets"),
    path(
        "setup/targets/<int:pk>/delete/",
        setup_views.setup_target_delete,
        name="setup-target-delete",
    ),
    path("setup/products/", setup_views.setup_products, name="setup-products"),
    path("setup/products/<int:pk>/", setup_views.setup_product, name="setup-product"),
    path(
        "setup/products/<int:pk>/delete/",
        setup_views.setup_product_delete,
        name="setup-product-delete",
    ),
    path("setup/categories/", setup_views.setup_category_create, name="setup-category-create"),
    path("setup/price-lists/", setup_views.setup_price_list_create, name="setup-price-list-create"),
    path(
        "setup/price-lists/<int:pk>/prices/",
        setup_views.setup_price_set,
        name="setup-price-set",
    ),
    path("funnel/", views.funnel, name="funnel"),
    path("forecast/", views.forecast, name="forecast"),
]
