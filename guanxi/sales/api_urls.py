"""API routes of the sales module under /api/v1/ (ids in paths are parsed by the views, so a
malformed id is a JSON 404 like an unknown one)."""

from django.urls import path

from guanxi.sales import api, follow_up_api, order_api

app_name = "sales_api"
urlpatterns = [
    path("pipelines/", api.PipelineListView.as_view(), name="pipeline-list"),
    path("pipelines/<str:id>/", api.PipelineDetailView.as_view(), name="pipeline-detail"),
    path("stages/", api.StageListView.as_view(), name="stage-list"),
    path("close-reasons/", api.CloseReasonListView.as_view(), name="close-reason-list"),
    path("deals/", api.DealListView.as_view(), name="deal-list"),
    path("deals/<str:id>/", api.DealDetailView.as_view(), name="deal-detail"),
    path("deals/<str:id>/restore/", api.DealRestoreView.as_view(), name="deal-restore"),
    path("deals/<str:id>/move/", api.DealMoveView.as_view(), name="deal-move"),
    path("deals/<str:id>/won/", api.DealWonView.as_view(), name="deal-won"),
    path("deals/<str:id>/lost/", api.DealLostView.as_view(), name="deal-lost"),
    path("deals/<str:id>/line-items/", api.DealLineItemsView.as_view(), name="deal-line-items"),
    path("deals/<str:id>/history/", api.DealHistoryView.as_view(), name="deal-history"),
    path(
        "deals/<str:id>/collaborators/",
        api.DealCollaboratorListView.as_view(),
        name="deal-collaborator-list",
    ),
    path(
        "deals/<str:id>/collaborators/<str:user_id>/",
        api.DealCollaboratorDetailView.as_view(),
        name="deal-collaborator-detail",
    ),
    path("products/", api.ProductListView.as_view(), name="product-list"),
    path("products/<str:id>/", api.ProductDetailView.as_view(), name="product-detail"),
    path("leads/", api.LeadListView.as_view(), name="lead-list"),
    path("leads/distribute/", api.LeadDistributeView.as_view(), name="lead-distribute"),
    path("leads/<str:id>/", api.LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<str:id>/claim/", api.LeadClaimView.as_view(), name="lead-claim"),
    path("leads/<str:id>/release/", api.LeadReleaseView.as_view(), name="lead-release"),
    path("leads/<str:id>/follow-up/", api.LeadFollowUpView.as_view(), name="lead-follow-up"),
    path("leads/<str:id>/convert/", api.LeadConvertView.as_view(), name="lead-convert"),
    path("pools/", api.PoolListView.as_view(), name="pool-list"),
    path("pools/<str:id>/leads/", api.PoolLeadListView.as_view(), name="pool-lead-list"),
    path("quotes/", order_api.QuoteListView.as_view(), name="quote-list"),
    path("quotes/<str:id>/", order_api.QuoteDetailView.as_view(), name="quote-detail"),
    path("quotes/<str:id>/send/", order_api.QuoteSendView.as_view(), name="quote-send"),
    path("quotes/<str:id>/accept/", order_api.QuoteAcceptView.as_view(), name="quote-accept"),
    path("quotes/<str:id>/reject/", order_api.QuoteRejectView.as_view(), name="quote-reject"),
    path("quotes/<str:id>/pdf/", order_api.QuotePdfView.as_view(), name="quote-pdf"),
    path("orders/", order_api.OrderListView.as_view(), name="order-list"),
    path("orders/<str:id>/", order_api.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<str:id>/cancel/", order_api.OrderCancelView.as_view(), name="order-cancel"),
    path(
        "orders/<str:id>/payment-plan/",
        order_api.OrderPaymentPlanView.as_view(),
        name="order-payment-plan",
    ),
    path(
        "orders/<str:id>/payments/",
        order_api.OrderPaymentListView.as_view(),
        name="order-payment-list",
    ),
    path("payments/", order_api.PaymentListView.as_view(), name="payment-list"),
    path("sales/board/", api.BoardView.as_view(), name="board"),
    path("sales/funnel/", api.FunnelView.as_view(), name="funnel"),
    path("sales/forecast/", api.ForecastView.as_view(), name="forecast"),
    path("sales/follow-ups/", follow_up_api.FollowUpListView.as_view(), name="follow-up-list"),
    path(
        "sales/not-contacted/",
        follow_up_api.IdleCustomerListView.as_view(),
        name="idle-customer-list",
    ),
]
