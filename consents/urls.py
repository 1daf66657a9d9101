from django.urls import path

from consents import views

app_name = "consents"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/consents/", views.mine, name="mine"),
    path("accounts/consents/renew/", views.renew, name="renew"),
    path("accounts/consents/receipts/<int:pk>/", views.receipt, name="receipt"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/versions/", views.versions, name="versions"),
    path("privacy/cookies/", views.cookie_choice, name="cookies"),
]
