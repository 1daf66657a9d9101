from django.urls import path

from disclosures import views

app_name = "disclosures"

urlpatterns = [
    path("accounts/invitation/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
]
